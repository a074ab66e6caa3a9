"""Which messages count as 'not a single known word' (they get the rephrase fallback)."""

from bot.nlu.unknown_vocabulary import Vocabulary, words

VOCABULARY = Vocabulary(
    words("Hallo, ich brauche eine Weiterbildung zu Datenschutz und Excel im Bürgeramt. Was kostet das?")
)


def test_gibberish_is_unknown():
    assert not VOCABULARY.knows_any("xqzv blorf knt prrrt")
    assert not VOCABULARY.knows_any("asdfgh jklö")


def test_one_known_word_is_enough():
    assert VOCABULARY.knows_any("blorf Excel knt")


def test_typos_and_missing_umlauts_still_count_as_known():
    assert VOCABULARY.knows_any("Datenschuts")  # one wrong letter
    assert VOCABULARY.knows_any("Weiterbildng")  # one missing letter
    assert VOCABULARY.knows_any("buergeramt")  # ue for ü


def test_messages_without_letters_are_left_alone():
    assert VOCABULARY.knows_any("670")
    assert VOCABULARY.knows_any("?!")


def test_short_words_need_an_exact_match_longer_ones_tolerate_one_typo():
    assert not VOCABULARY.knows_any("wsa")  # "was" with swapped letters: too short to guess
    assert VOCABULARY.knows_any("hxllo")  # one wrong letter in "hallo"
    assert not VOCABULARY.knows_any("hxllx")  # two wrong letters
