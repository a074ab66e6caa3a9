"""How people wrap what they need in a chat message: greetings, thanks, request frames ("Gibt es Kurse
zu …", "ich bräuchte was zum …"), fillers, the statement of their own role ("ich bin Sachbearbeiterin im
Bürgeramt"), connectors that add a further need ("außerdem", "und vielleicht auch") and the word classes a
need is told with (function words vs. content words).

``bot.actions.needs`` uses these to keep the person's own words minus the wrapping. Word lists are folded
(``german.folding.fold``: lower case, ä -> ae, ß -> ss), so "Grüß Gott" and "gruess gott" match alike.
"""

from __future__ import annotations

import re

from german.folding import fold, umlaut_regex, word_regex

# A greeting or a thanks at the start of a clause, with what usually follows it ("Hallo zusammen").
GREETING = word_regex(
    r"(?:hallo(?:le)?|hall{oe}le|hi|hey|yo|huhu|moin(?:\s+moin)?|servus|tach|gr{ue}{ss}\s+gott|gria{ss}\s+(?:gott|eana|di|enk)|gr{ue}ezi|"
    r"hajo|ja\s+mei|"
    r"ei\s+gu+de|gu+de|guten\s+(?:tag|morgen|abend)|sehr\s+geehrte[rns]?(?:\s+damen\s+und\s+herren)?|"
    r"liebe[rs]?\s+(?:team|kommunalcampus)|hallo\s+zusammen|moinsen|moinmoin|hall{oe}chen|tachchen|"
    r"guten\s+tach|mahlzeit|na\s+du)(?:\s+zusammen|\s+allerseits|\s+mitanand|\s+miteinand)?"
)
# "wia geht's eich heid?": how the person asks after the assistant, in standard German or dialect.
HOW_ARE_YOU = word_regex(
    r"(?:wie|wia|wie's|wat)\s+geht(?:'?s|\s+es|\s+et)?(?:\s+(?:dir|ihnen|euch|eich|enk|so|denn|d(?:i|ia)r))*"
    r"(?:\s+(?:heute|heid|heit|hit))?"
)


def only_greets(text: str) -> bool:
    """ "Servus mitanand, wia geht's eich heid?": a greeting (and a how-are-you), nothing else."""
    if not GREETING.match(text.strip()):
        return False
    rest = HOW_ARE_YOU.sub(" ", GREETING.sub(" ", text, count=1))
    return not re.search(r"\w", rest)
THANKS = word_regex(
    r"(?:vielen|herzlichen|besten|lieben)\s+dank|danke(?:\s+sch{oe}n|\s+sehr)?|merci|dange"
)

# Connectors that start a further need: "Außerdem fehlt uns …", "… und vielleicht auch zum …".
ADDITIVE = word_regex(
    r"au{ss}erdem|zus{ae}tzlich(?:\s+noch)?|dar{ue}ber\s+hinaus|ebenso|zum\s+anderen|andererseits|zudem|"
    r"gleichzeitig|zugleich|parallel\s+dazu|"
    r"des\s+weiteren|weiterhin|(?:und|sowie)\s+(?:vielleicht\s+)?"
    r"(?:auch|zus{ae}tzlich|au{ss}erdem|noch)(?:\s+noch)?|sowie|gerne?\s+auch|und\s+dann\s+noch"
)
# Separators inside a list of topics ("Excel und Datenschutz", "IT-Sicherheit + Phishing").
# "Kosten- und Leistungsrechnung" is one topic: no split after a hyphen.
LIST_SEPARATOR = re.compile(
    r"\s*(?:,|;|\+|&|(?<!-)\s(?:und|oder|sowie|bzw\.?)\s|(?<=\w)/(?=\w{4,}))\s*", re.IGNORECASE
)

# Words that only frame a request: "Gibt es (dafür) Kurse/Schulungen (zu) …", "ich bräuchte was zum …".
_REQUEST_WORDS = r"""
suche suchen such sucht brauche brauch brauchen braucht br{ae}uchte br{ae}ucht ben{oe}tige ben{oe}tigen
m{oe}chte m{oe}chten mag will wollen w{ue}rde w{ue}rden h{ae}tte h{ae}tten gern gerne interessiere
interessieren interessiert empfehlen empfehlt empfiehlst empfehlung empfehlungen vorschlagen vorschl{ae}ge
vorschlag anbieten bieten bietet gibt gibts gibt's geben haben habt hast hab habe zeig zeigen zeige
mal bitte lernen lerne lernt lernst fortbilden weiterbilden schulen qualifizieren finden helfen hilfe
unterst{ue}tzung tipps infos informationen wissen kennen ahnung idee aussuchen ausw{ae}hlen geh{oe}rt gelesen
andere anderes anderen anders sonst sonstiges weitere weiteres sagen
passen passt passend passende passendes
kurs kurse kursen kurses
fortbildung fortbildungen weiterbildung weiterbildungen schulung schulungen seminar seminare seminaren
angebot angebote angeboten lehrgang lehrg{ae}nge training trainings qualifizierung workshop workshops
grundlagenkurs grundlagenkurse auffrischung auffrischen thema themen themenbereich bereich richtung
etwas was nen n ne nem irgendwas irgendetwas sowas so{ss}was empfohlen moeglichkeit m{oe}glichkeiten
kolleg kollegen kolleginnen kollegium mitarbeitende mitarbeitenden mitarbeiter mitarbeiterinnen leute
menschen personen person
uns euch ihnen dir mir falls hilft wichtig reicht erstmal erst
"""
# Function words: articles, pronouns, prepositions, auxiliaries, particles.
_FUNCTION_WORDS = r"""
der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner ich du er sie es
wir ihr man mich dich sich mein meine meinen meinem meiner unser unsere unseren unserem unserer euer eure
ihre ihren ihrem dein deine jemand alle alles allem beide jeder jede jedes diese dieser dieses diesen
diesem jene und oder aber sowie bzw doch denn sondern als wie ob dass da{ss} weil wenn damit falls obwohl
zu zum zur im in ins am an ans auf aus bei beim mit nach von vom vor f{ue}r fuers f{ue}rs {ue}ber uebers
unter durch gegen ohne um bis seit wegen zwischen hinter neben bin bist ist sind seid war waren sein
werde wirst wird werden wurde wurden kann kannst k{oe}nnen k{oe}nnt konnte muss musst m{ue}ssen soll
sollst sollen sollte darf d{ue}rfen dazu dazu dar{ue}ber daf{ue}r darin davon damit dann denn noch
schon auch nur sehr so ganz eher etwa eigentlich ehrlich gesagt vielleicht halt eben ja nein nicht nichts
gar mehr weniger viel viele vielen immer oft h{ae}ufig manchmal jetzt gerade grad gerad bald hier dort da
wo was wer wen wem welche welcher welches welchen welchem wann warum weshalb wieso hm hmm ok okay na
also ah oh äh uebrigens {ue}brigens bissl bisschen bissel bi{ss}chen sowieso ebenfalls einfach genau
neu neue neuen neuer neues tun mache machen macht gemacht selbst selber wäre wär wären super gut gute
toll ideal prima lieber liebsten besten gell halt nix egal gleich möglich wenns geht gehts passt klar stimmt
zuständig zustaendig tätig beschäftigt verantwortlich eingesetzt angestellt eingestellt her hin drin
dr de d'
naja tja nun ach achso ähm äh öhm joa jo schade mist ohje oje ei
zwei drei vier f{ue}nf
pro je
"""


def _words(block: str) -> frozenset[str]:
    return frozenset(fold(w) for w in re.sub(r"{(\w+)}", r"\1", block).split())


REQUEST_WORDS = _words(_REQUEST_WORDS)
# Verbs and particles of asking that any request has ("Gibt es noch mehr zu …?", "Ich bräuchte …"): they name
# no subject (the membership guard in bot/nlu/intent_vocabulary.py ignores them).
ASKING_WORDS = _words(
    "gibt gibts geben gebe suche suchen brauche brauchen br{ae}uchte br{ae}uchten m{oe}chte m{oe}chten "
    "h{ae}tte h{ae}tten w{ue}rde w{ue}rden zeig zeige zeigen bitte mal sagen sag erz{ae}hlen "
    "empfehlen empfehlt"
)
FUNCTION_WORDS = _words(_FUNCTION_WORDS)
# Words of a wish for "some course" that name no subject ("ich hätte gern ein paar Kursvorschläge",
# "Ich brauch irgendeine Fortbildung, mein Chef sagt, ich muss dieses Jahr was machen"): a need made only of
# them is none, and the assistant asks for the topic instead of searching for "Chef".
VAGUE_WORDS = _words(
    "kursvorschlag kursvorschl{ae}ge kursangebot kursangebote fortbildungsangebot fortbildungsangebote "
    "weiterbildungsangebot weiterbildungsangebote schulungsangebot schulungsangebote pflichtfortbildung "
    "pflichtfortbildungen pflichtschulung pflichtschulungen chef chefin chefs vorgesetzte vorgesetzter "
    "vorgesetzten boss sagt gesagt meint gemeint verlangt will wollte hat hatte h{ae}tte jahr jahres "
    "irgendein irgendeine irgendeinen irgendeiner paar besuchen absolvieren teilnehmen nachweisen machen "
    "mache neues neue neuen job jobs beruf arbeit alltag sachen dinge punkte anliegen themen frage fragen"
)
# Prepositions that introduce the topic after a request frame ("Schulungen zum Datenschutz").
TOPIC_PREPOSITIONS = _words("zu zum zur in im über ueber für fuer bei beim mit von vom an am auf um")
# Words that start a subordinate clause (context of a named topic, not a further need).
SUBORDINATORS = _words("damit weil dass da{ss} wenn falls obwohl um die der das was wie wo ob sodass")

# Words that name a unit of the administration or a job: "Bürgeramt", "Vergabestelle", "Sachbearbeiterin",
# "Teamleitung", "Amtsleiterin", "Azubi". A message's role statement is made of them.
ROLE_WORD = re.compile(
    umlaut_regex(
        r"(?:\w*(?:amt|{ae}mter|amts|stelle|beh{oe}rde|verwaltung|b{ue}ro|kasse|abteilung|dienst|hof|"
        r"center|kammer|referat|fachbereich|sachgebiet|sekretariat|rathaus|kreis|gemeinde|stadt|"
        r"eingangszone|poststelle|pforte)|"
        r"k{ae}mmerei|k{ae}mmerer\w*|\w*sachbearbeit\w*|\w*leitung|\w*leiter(?:in)?|\w*beauftragte[rn]?|"
        r"\w*koordinator(?:in)?|\w*anw{ae}rter(?:in)?|azubis?|auszubildende[rn]?|\w*fachangestellte[rn]?|"
        r"beamt\w*|\w*beamter|\w*beamtin|admins?|administrator(?:in)?|assistenz|\w*referent(?:in)?|"
        r"hausmei(?:s|sch)ter(?:in)?|\w*meister(?:in)?|sekret{ae}r(?:in)?|\w*ausbilder(?:in)?|erzieher(?:in)?|"
        r"\w*berater(?:in)?|\w*planer(?:in)?|f{ue}hrungskr{ae}fte|f{ue}hrungskraft|"
        r"pr{ue}fer(?:in)?|\w*feuerwehr|\w*arbeiter(?:in)?|\w*managerin|\w*manager|verwaltungswirt\w*|\w*fachwirt\w*|"
        r"\w*lehrjahr|praxisabschnitt\w*|\w*semester|studierende[rn]?|student(?:in)?|praktikant(?:in)?)"
    ),
    re.IGNORECASE,
)
# The start of a statement of one's own role, up to the unit or job: "ich bin (seit Jahren) in der …",
# "ich arbeite als …", "i schaff aufm …", "Als …", "Wir im …", "Bei uns im …". ``unit`` marks the forms
# that name a unit by a preposition ("bin im Ordnungsamt"): any noun there is the unit; the other forms
# ("ich leite …", "Als …") state a role only with a role word ("ich leite das Hauptamt", not "ein Projekt").
ROLE_STATEMENT = re.compile(
    umlaut_regex(
        r"^(?:(?:(?:ich|i|isch|wir|mir)\s+)?(?P<verb>bin|sind|sin|arbeite|arbeiten|schaff|schaffe|"
        r"leite|leiten|mache|mach|komme|betreue|unterst{ue}tze)\b"
        r"(?:\s+(?:hier|seit\s+\w+(?:\s+jahren|\s+monaten)?|jetzt|{ue}brigens|auch|gerade|grad|schon|neu|erst|"
        r"noch|momentan|aktuell|zurzeit|dort|da|die\s+verwaltung\s+f{ue}r))*"
        r"|als|(?:wir|ich)(?:\s+hier)?(?=\s+(?:im|in|beim|bei|aus))|bei\s+uns|hier)"
        r"(?:\s+(?P<unit>als|im|in\s+der|in\s+einer|in\s+einem|in\s+den|in|beim|bei\s+der|bei\s+de[rm]?|bei|"
        r"aus\s+dem|aus\s+der|aufm|uffm|an\s+einer|an\s+der))?\s+"
    ),
    re.IGNORECASE,
)
# "Organisationsamt hier", "Bauamt, Sachbearbeitung": a unit named on its own.
UNIT_HERE = word_regex(r"hier|am\s+apparat")
# "noch mehr", "weitere", "noch andere (Kurse)": a wish for more offers of the same kind.
MORE_CUE = word_regex(r"mehr|weitere\w*|noch\s+(?:andere|annere|anner|was|ein\s+paar)")
_MORE_FIRST = word_regex(r"(?:noch\s+)?(?:mehr|weitere\w*)")


# "Die kenn ich schon alle, gibts noch andere?", "Hab ich alles schon gemacht, was gibt es noch?": the offers
# shown are known, more on the same needs are wanted (not another topic: "Gibt es andere Themen?").
KNOWN_ALREADY = word_regex(
    r"(?:kenn\w*|hab\w*|hatte\w*)\s+(?:ich\s+|i\s+)?(?:die\s+|des\s+|das\s+)?(?:\w+\s+)?(?:alle\s+|alles\s+)?schon|"
    r"schon\s+(?:alle\s+|alles\s+)?(?:gemacht|besucht|belegt|absolviert|gesehen|gekannt)"
)
OTHER_TOPIC_WORDS = word_regex(r"them(?:a|en)|richtung|bereich|ganz\s+was\s+anderes")


def starts_with_more(text: str) -> bool:
    """The message opens by asking for more ("weitere zur vergabe?", "noch mehr zum Absichern?")."""
    return _MORE_FIRST.match(text.lstrip()) is not None

# The clause that ends a short role statement: "…, falls das hilft", "…, falls das wichtig ist".
AFTERTHOUGHT = word_regex(r"falls\s+(?:das|es)\s+(?:hilft|wichtig\s+ist)|wenn\s+das\s+hilft")


def is_function_word(word: str) -> bool:
    return fold(word) in FUNCTION_WORDS


def is_vague_word(word: str) -> bool:
    return fold(word) in VAGUE_WORDS


def is_request_word(word: str) -> bool:
    return fold(word) in REQUEST_WORDS


def is_role_word(word: str) -> bool:
    """ "Bürgeramt", "Sachbearbeiterin", "IT-Admins" (the last part of a hyphenated word counts)."""
    bare = word.strip("*:")
    return bool(ROLE_WORD.fullmatch(bare) or ("-" in bare and ROLE_WORD.fullmatch(bare.rsplit("-", 1)[1])))


# "… (Kurse|was|Hilfe …) zu/zum/zur/über/bei … <topic>": the words before the topic in a request.
TOPIC_FRAME = re.compile(
    umlaut_regex(
        r"(?:^|\b)(?:(?:was|etwas|irgendwas|nen\s+kurs|n\s+kurs|eine?n?\s+kurs|kurse?n?|schulung(?:en)?|"
        r"fortbildung(?:en)?|weiterbildung(?:en)?|seminare?n?|angebote?n?|lehrg{ae}nge?|trainings?|hilfe|"
        r"unterst{ue}tzung|auffrischung|grundlagenkurse?|grundlagen|tipps|infos|qualifizierung(?:en)?|"
        r"workshops?|kenntnisse|wissen)(?:\s+(?:speziell|vor\s+allem|insbesondere|genau|konkret))?"
        r"(?:\s+(?:gibt\s+es|gibts|gibt's|habt\s+ihr|haben\s+sie|hast\s+du|bieten\s+sie|bietet\s+ihr)"
        r"(?:\s+(?:bei\s+ihnen|bei\s+euch|auch|denn|so|da))*)?"
        r"\s+(?:zu\s+den|zu\s+dem|zu\s+der|zu|zum|zur|{ue}ber|f{ue}r|bei|beim|im|in|mit|von|vom|gegen|"
        r"rund\s+um)|interessier\w*\s+(?:mich|uns)\s+(?:f{ue}r|an)|(?:mein|unser)\s+thema\s+(?:ist|w{ae}re)|"
        r"thema|themen|schwerpunkt)\s+(?P<topic>\S.*)$"
    ),
    re.IGNORECASE,
)

# "(will) mich in Power BI und Datenanalyse fitter machen", "mich in die Vergabe einarbeiten": the words
# around the topic when a person wants to get better at it.
TOPIC_IMPROVE = re.compile(
    umlaut_regex(
        r"\b(?:mich|uns)\s+(?:(?:neben|nach|w{ae}hrend|vor)\s+\w+(?:\s+\w+)?\s+)?(?:(?:mal|noch|etwas|bisschen|"
        r"ein\s+bisschen|endlich|besser|mehr)\s+)*(?:in|ins|bei|im|mit)\s+(?:das\s+thema\s+|die\s+|der\s+|dem\s+|das\s+)?"
        r"(?P<topic>\S.*?)(?:\s+(?:besser|mehr|gut|richtig|endlich))?\s+(?:fit|fitter|sicherer|sicher|besser|schlau|schlauer|weiterbilden|fortbilden|"
        r"einarbeiten|einlesen|reinarbeiten|reinfuchsen|einfuchsen|verbessern|auskennen|qualifizieren)"
        r"(?:\s+(?:machen|werden|zu\s+machen|zu\s+werden|kommen))?\s*[.!?]*$"
    ),
    re.IGNORECASE,
)

# A reference to one's own job instead of a topic: "Grundlagen zu meiner Rolle", "Was gibt es, um das gut zu
# machen?" (after "Ich bin frisch Ausbildungsleiter"). The need is the field of the role.
ROLE_REFERENCE = re.compile(
    umlaut_regex(
        r",?\s*(?:(?:zu|zur|zum|f{ue}r|in|bei|{ue}ber)\s+(?:meine[rnms]?|unsere[rnms]?|die|der|diese[rn]?)\s+"
        r"(?:neuen?\s+|jetzigen?\s+)?(?:rolle|aufgaben?|job|stelle|position|funktion|t{ae}tigkeit)"
        r"|um\s+(?:das|den\s+job|die\s+(?:aufgabe|rolle|stelle)|meine\s+(?:aufgabe|rolle|arbeit))\s+"
        r"(?:gut|richtig|besser|ordentlich|vern{ue}nftig)\s+(?:zu\s+machen|hinzukriegen|hinzubekommen|"
        r"zu\s+meistern|zu\s+schaffen|zu\s+erledigen))"
        r"(?=\s*(?:[,.;!?]|$|und\b|andererseits|sowie))"
    ),
    re.IGNORECASE,
)
# The field in a job title: "Ausbildungsleiter" -> "Ausbildung", "Datenschutzbeauftragte" -> "Datenschutz".
JOB_FIELD = re.compile(
    umlaut_regex(
        r"(?P<field>\w{4,}?)s?(?:leiter(?:in)?|leitung|beauftragte[rn]?|koordinator(?:in)?|referent(?:in)?|"
        r"sachbearbeiter(?:in)?|manager(?:in)?|fachkraft)"
    ),
    re.IGNORECASE,
)
# What a person leading a unit needs when they ask for help with their job.
LEADERSHIP_FIELD = "Führung"
# A topic followed by a wish: "Zeitmanagement wär auch noch gut", "Excel wäre super".
TOPIC_WISH = re.compile(
    umlaut_regex(
        r"^(?P<topic>\S.*?)\s+(?:w{ae}re?|w{ae}r's|w{ae}rs)\s+(?:auch\s+)?(?:noch\s+)?(?:sehr\s+|echt\s+)?"
        r"(?:gut|toll|super|sch{oe}n|interessant|hilfreich|prima|klasse|wichtig|sinnvoll|praktisch|nett)$"
    ),
    re.IGNORECASE,
)
# A wish to have one's stored data deleted, in any spelling ("dann löschts bittschön ois, wos ihr über mi
# gspeichert habts", "Bitte alles löschen, was Sie über mich wissen"); "Wie lösche ich eine E-Mail?" is none.
DELETE_WISH = re.compile(
    r"\b(?:l(?:ö|oe)sch\w*|vergesst|vergessen\s+sie)\b(?=[^.!?]{0,60}\b(?:ois|alles|mich|mi|mir|meine|"
    r"gespeichert|gspeichert|gespeicherte\w*|verlauf|chat)\b)|"
    r"\b(?:ois|alles|meine\s+daten|meine\s+angaben|mei(?:n|ne)?\s+(?:zeugs?|sachen|kram|eingaben|nachrichten))\b"
    r"[^.!?]{0,60}\b(?:ge)?l(?:ö|oe)sch\w*",
    re.IGNORECASE,
)
# A question what the assistant stores about the person ("Was speichern Sie eigentlich über mich?", "wos
# speicherts ihr do über mi?", "Wird dieser Chat gespeichert?"): a question word, a word for storing or
# knowing, the assistant as the one who stores or the person or this chat as what is stored, and nobody
# else's data ("Welche Daten von Beschäftigten darf ich speichern?", "Wo speichere ich meine Excel-Dateien?":
# course subjects).
_STORED_QUESTION_START = re.compile(
    r"^\W*(?:(?:und|aber|mal|sagen\s+sie\s+mal|kurze\s+frage)\W+)*(?:was|wos|welche|wie\s+lange|wo|wird|werden|"
    r"speichert|speichern|speicherst|wer)\b",
    re.IGNORECASE,
)
_STORE_VERB = re.compile(
    r"\b(?:speicher(?:n|t|st|ts)|gespeichert|gspeichert|mitgeschrieben|mitgelesen|wisst|wissen|wei(?:ß|ss)t|"
    r"aufbewahrt|liest|lesen)\b",
    re.IGNORECASE,
)
_STORED_WHO_OR_WHAT = re.compile(
    r"\b(?:über|ueber|von|vo|mit)\s+(?:mich|mi|mir)\b|\bmeine[mnrs]?\s+(?:daten|angaben|nachrichten|eingaben|"
    r"fragen|chat\w*)\b|\b(?:speichern|lesen)\s+sie\b|\b(?:speichert|lest|speicherts)\s+ihr\b|"
    r"\b(?:speicherst|liest)\s+du\b|\b(?:dieser|der|den|das|dieses|unser|mein)\s+(?:chat|gespr(?:ä|ae)ch|"
    r"verlauf|chatverlauf)\b|\bhier\b",
    re.IGNORECASE,
)
_SOMEONE_ELSES_DATA = re.compile(
    r"\b(?:b(?:ü|ue)rger\w*|kund\w*|antragsteller\w*|besch(?:ä|ae)ftigte\w*|mitarbeit\w*|bewerb\w*|"
    r"akten?|e-?akte|dateien|excel|dokument\w*|patient\w*|sch(?:ü|ue)ler\w*|kinder\w*|eltern|leute|leit|"
    r"anrufer\w*|menschen|personen)\b|\b(?:über|ueber)\s+(?:die|denen|sie|ihn|jemanden)\s+gespeichert",
    re.IGNORECASE,
)


def about_someone_elses_data(text: str) -> bool:
    """ "wenn die Leute wissen wollen, was wir über die gespeichert haben, was darf ich da sagen?": data of
    others, a course subject (data protection), not what the assistant stores."""
    return bool(_SOMEONE_ELSES_DATA.search(text))


def asks_what_is_stored(text: str) -> bool:
    return bool(
        _STORED_QUESTION_START.search(text)
        and _STORE_VERB.search(text)
        and _STORED_WHO_OR_WHAT.search(text)
        and not about_someone_elses_data(text)
    )


# A yes or a no as the answer to a question of the assistant ("Ja, bitte löschen.", "Nee, lieber nicht").
YES_ANSWER = re.compile(
    r"^\s*(ja|jo|jep|jup|jupp|jawohl|jawoll|genau|freilich|sicher|gern|gerne|ok|okay|einverstanden|klar|natürlich|"
    r"natuerlich|bitte|passt)\b", re.I
)
# A yes that is one whatever else the message seems to be about: a plain yes word, and no "aber"/"erst"/
# "vorher" after it ("ja, aber zeigen Sie mir vorher noch …" is no clear yes; "bitte"/"ok" may start any
# request).
CLEAR_YES_ANSWER = re.compile(
    r"^\s*(ja|jo|jep|jup|jupp|jawohl|jawoll|freilich|einverstanden)\b(?!.*\b(aber|erst|vorher|zuerst)\b)",
    re.I | re.S,
)
NO_ANSWER = re.compile(r"^\s*(nein|nee|ne|nö|noe|lieber nicht|auf keinen fall|abbrechen|stopp?)\b", re.I)
# A yes that goes on to refuse is none ("Bitte nicht löschen", "ok, doch nicht").
NEGATION = re.compile(r"\b(nicht|nichts|nein|keine?|doch nicht|lieber nicht)\b", re.I)
# A wish to talk to a person ("Kon i ned mit am echtn Menschn redn?", "Ich möchte mit einer Person sprechen"),
# as opposed to asking whether the assistant is one ("Bist du ein Mensch?").
HUMAN_WISH = re.compile(
    r"\b(?:mit|an)\s+(?:\w+\s+){0,3}?(?:mensch|person|mitarbeiter|jemand|kolleg|sachbearbeiter)\w*"
    r"(?:\s+\w+){0,3}?\s+(?:reden|redn|sprechen|schreiben|telefonieren|schnacken|quatschen|verbinden|weiterleiten|"
    r"besprechen|bsprechn|bsprechen|bsprecha|kl(?:ä|ae)ren|gschw(?:ä|ae)tzt|schw(?:ä|ae)tze|schw(?:ä|ae)tzen|"
    r"schw(?:ä|ae)tza|babbeln|snacken)\b|"
    r"\b(?:reden|redn|sprechen|schnacken|verbinden)\s+mit\s+(?:\w+\s+){0,2}(?:mensch|person|mitarbeiter|jemand)\w*",
    re.IGNORECASE,
)
# A wish for a person said so plainly that it overrides any intent: a real person ("mit nem echten Menschen
# schnacken") or a question of one's own ("Kann ich das mal mit nem Menschen besprechen?"), in a sentence that
# is not about learning ("Kann ich lernen, besser mit Menschen zu sprechen?").
_REAL_PERSON = re.compile(r"\b(?:echte[nmrs]?|echtn|richtige[nmrs]?)\s+(?:mensch|person)", re.IGNORECASE)
# "Kann ich das mal mit nem Menschen besprechen?"; typed without the question mark, the question still opens
# the sentence ("kann ich mit nem menschen reden hab ne frage zu unserer landingpage").
_OWN_QUESTION = re.compile(
    r"\b(?:kann|k(?:ö|oe)nnte|darf|kon|ko)\s+(?:ich|i)\b[^.!?]*\?|^\W*(?:kann|k(?:ö|oe)nnte|darf)\s+(?:ich|i)\b",
    re.IGNORECASE,
)
# "Ich möchte das bitte mit einem Menschen klären, nicht mit einem Chatbot.": a wish of one's own, said
# outright (not "Ich will mit meinen Mitarbeitern besser sprechen": a person, singular, not the assistant).
_OWN_WISH = re.compile(
    r"\b(?:ich|i)\s+(?:m(?:ö|oe)chte?|mecht|will|w(?:ü|ue)rde|h(?:ä|ae)tte|mag)\b[^.!?]{0,40}?"
    r"\bmit\s+(?:einem|einer|nem|ner|am|an)\s+(?:mensch|person)\w*|"
    r"\bnicht\s+mit\s+(?:einem|einer|dem|der|nem|ner)?\s*(?:chat)?(?:bot|computer|maschine|programm|ki)\b",
    re.IGNORECASE,
)
_ABOUT_LEARNING = re.compile(
    r"\b(?:lern\w*|kurs\w*|schulung\w*|seminar\w*|fortbildung\w*|umgang|training)\b", re.IGNORECASE
)


def asks_for_a_person(text: str) -> bool:
    """The message plainly asks to talk to a person (``_REAL_PERSON``, ``_OWN_QUESTION``, ``_OWN_WISH``)."""
    for sentence in re.findall(r"[^.!?]+[.!?]*", text):
        if not HUMAN_WISH.search(sentence) or _ABOUT_LEARNING.search(sentence):
            continue
        if _REAL_PERSON.search(sentence) or _OWN_QUESTION.search(sentence) or _OWN_WISH.search(sentence):
            return True
    return False


# A told problem ("die Leute werden bei Kontrollen immer aggressiver", "ich verlier den Überblick", "komm mit
# dem neuen Programm nicht klar"), as opposed to a description of the job ("ich kümmere mich um Wohngeld").
TROUBLE_WORD = re.compile(
    r"\b(?:aggressiv\w*|pampig\w*|ausfallend\w*|beschimpf\w*|bedroh\w*|angepöbelt|anpöbel\w*|laut\s+werden|"
    r"überfordert|ueberfordert|überlast\w*|stress\w*|gestresst|angst|sorge[n]?|unsicher\w*|problem\w*|"
    r"schwierig\w*|konflikt\w*|streit\w*|chaos|chaotisch|durcheinander|überblick|ueberblick|frust\w*|"
    r"erschöpf\w*|burn-?out|nervt|nervig|ärger\w*|krach|verzweifel\w*|hinterher|klar\s*komm\w*|"
    r"(?:komm|kommen|kommt|check|blick)\w*\s+(?:\w+\s+){0,4}?(?:nicht|net|ned|nich|nit|nie)\b|"
    r"klappt\s+(?:\w+\s+)?(?:nicht|net|ned|nich)|hab\w*\s+(?:\w+\s+){0,2}?mühe)",
    re.IGNORECASE,
)
# An answer to "Zu welchem Thema möchten Sie sich weiterbilden?" that names none ("Keine Ahnung, irgendwas,
# was mir im Job hilft", "ist eigentlich egal, was habt ihr denn so?"): the same as the button
# "Weiß ich noch nicht".
# "keine Ahnung", "weiß ich nicht", "woass need so recht", "i woiß it", "weeß nich", "waas net"
# "weiß ich das selbst nicht so genau", "wüsste aber offen gestanden nicht recht, wie ich am besten anfangen
# soll"
_DONT_KNOW = (
    r"keine?n?\s+(?:ahnung|plan|idee)|"
    r"w(?:ei|oa|oi|ee|aa)(?:ß|ss|s)\s+(?:(?:ich|i|es|des|das|ma|mer|selbst|selber)\s+){0,3}(?:(?:noch|a|au|auch)\s+)?"
    r"(?:nicht|nich|net|ned|need|nit|it)(?:\s+so\s+(?:recht|genau))?|"
    r"w(?:ü|ue)sste\s+(?:(?:aber|ich|offen|gestanden|ehrlich|gesagt)\s+){0,4}nicht\s+(?:so\s+)?(?:recht|genau)"
    r"(?:,?\s+wie\s+ich\s+(?:\w+\s+){0,3}?(?:anfangen|beginnen|vorgehen)\s+soll)?"
)
# Starting over with another matter in words ("Darf ich noch einmal ganz von vorn beginnen, mit einem völlig
# anderen Anliegen?", "Ganz anderes Thema: …"): the needs and wishes before it no longer apply (the role
# does).
NEW_MATTER = re.compile(
    r"\b(?:v(?:ö|oe)llig|ganz|komplett|total)\s+(?:ander(?:e[snm]?)?|neue[snm]?)\s+(?:anliegen|thema|frage|sache)\b|"
    r"(?:\b(?:darf|kann|k(?:ö|oe)nn(?:en|te|ten)|m(?:ö|oe)chte|w(?:ü|ue)rde)\s+(?:ich|wir)\s+(?:noch\s+)?"
    r"(?:ein)?mal\s+)?(?:ganz\s+)?\bvon\s+vorn(?:e)?\s+(?:beginnen|anfangen|starten)\b[^.!?]{0,50}\b(?:ander(?:e[snm]?)?|neue[snm]?)\s+"
    r"(?:anliegen|thema|frage|sache)\b|"
    # "ok vergiss das mal kurz. ganz was anderes: …", "Vergesset des alles, fanget mr nomol o: …"
    r"\b(?:ganz\s+was|was\s+ganz|etwas\s+ganz)\s+anderes\b|"
    r"\bvergess?\w*\s+(?:das|des|dat)\s+alles\b|"
    r"\bfang(?:e|et|en)?\s+(?:wir|mr|mer|ma|man)\s+(?:nochmal|nomol|noch\s+mal|neu|von\s+vorn\w*)(?:\s+(?:an|o|oa))?\b",
    re.IGNORECASE,
)
# "vergiss das mal kurz": the person puts what was said aside; the words name no need.
PUT_ASIDE = re.compile(r"\bvergiss\w*\s+(?:das|des|dat)\b(?:\s+(?:mal|kurz|alles|jetzt))*", re.IGNORECASE)
# Saying one does not know (what to learn): words that name no topic.
DONT_KNOW = re.compile(r"\b(?:" + _DONT_KNOW + r")\b", re.IGNORECASE)
NO_TOPIC_ANSWER = re.compile(
    r"\b(?:" + _DONT_KNOW + "|irgendwas|irgendetwas|"
    r"egal|ist\s+mir\s+(?:gleich|wurscht|wumpe)|"
    r"was\s+(?:habt|haben)\s+(?:ihr|sie)\s+(?:denn\s+)?(?:so|alles)|"
    r"bin\s+(?:f(?:ü|ue)r\s+alles\s+)?offen|alles\s+m(?:ö|oe)gliche|(?:ü|ue)berrasch\w*\s+mich)\b",
    re.IGNORECASE,
)
# Words that only a question about the cooperative uses ("Im Beitrittsformular steht, wir sollen eine
# Vertreterin benennen …", "Sind die Kurse für Mitglieder kostenlos?"); a need for a course does not.
MEMBERSHIP_WORDS = re.compile(
    r"genossenschaft|mitglied|beitritt|beitreten|gesch(?:ä|ae)ftsanteil|\banteil|\beg\b|kommunalcampus|"
    r"generalversammlung|vertreter|satzung",
    re.IGNORECASE,
)
# Questions about what membership costs (bot/nlu/content_rules.py).
# What joining costs, in any spelling ("Wat kost dat, wenn wi bi jo mitmoken?", "Was koscht des?").
COST_WORD = re.compile(r"\b(?:kost|kosch|zahl|zoin|bezahl|einzahl)\w*", re.IGNORECASE)
# A FAQ question that gives the head count is about the calculation only when it asks about money or shares
# ("Wie läuft das mit den Geschäftsanteilen? Wir haben etwa achthundert Leute."); "Wir sind eine Gemeinde mit
# 230 Beschäftigten. Wie läuft so ein Beitritt ab?" asks how to join (a follow-up reuses the count).
ABOUT_MONEY = re.compile(
    r"\b(?:kost|kosch|zahl|zoin|bezahl|teuer|preis|geld|euro|eur\b|einlage|beitr(?:a|ä)g|finanz)\w*|€|anteil",
    re.IGNORECASE,
)
# "Was koschd des eigentlich?", "was würd uns dat denn kosten, wenn wir Mitglied werden?": what joining costs
# (the calculator asks for the head count), unless the question is about course fees.
# "… herauszufinden, was eine Mitgliedschaft unserer Stadt bei KommunalCampus kosten würde", "Was müsste die
# Stadt denn da einzahlen?"
WHAT_DOES_IT_COST = re.compile(
    r"\bwas\s+(?:\w+\s+){0,6}?(?:kost\w*|koscht\w*|koschd\w*|kosch|(?:ein|be)?zahlen)\b", re.IGNORECASE
)
# "und wenn wir mit den Eigenbetrieben zusammen auf 2.001 kommen?", "Und bei 501?": another head count.
# "dann wären wir einundfünfzig", "dann sind mir 2001": the same supposed in words.
COUNT_SUPPOSED = re.compile(
    r"\b(?:bei|auf)\s+(?:ca\.?\s*|rund\s+|genau\s+|etwa\s+)?\d|"
    r"\b(?:w(?:ä|ae)ren|sind|san|send|h(?:ä|ae)tten)\s+(?:wir|mir|mer)\s+(?:dann\s+|also\s+|schon\s+)?"
    r"(?:bei\s+|auf\s+)?(?:\d|\w*(?:zig|hundert|tausend|zehn|elf|zw(?:ö|oe)lf|eins)\b)",
    re.IGNORECASE,
)
# "was wäre das bei denen?", "Wie viele wären es dann?", "welche Stufe gilt da?": a question what a head count
# given in the same message comes to.
WOULD_BE_QUESTION = re.compile(
    r"\b(?:was|wie\s*viele?|wieviele?|welche\s+stufe)\s+(?:w(?:ä|ae)re|w(?:ä|ae)ren|hie(?:ß|ss)e|gilt|gelten|"
    r"bedeutet|hei(?:ß|ss)t|k(?:ä|ae)me|k(?:ä|ae)men)\b|"
    # "wüsste ich gern, was es für diese bedeuten würde"
    r"\bwas\s+(?:\w+\s+){0,4}?(?:bedeuten|hei(?:ß|ss)en|ausmachen)\s+w(?:ü|ue)rde\b",
    re.IGNORECASE,
)
# "Und wenn wir bis dahin 52 sind?", "falls wir 2001 haben": a head count supposed.
SUPPOSITION = re.compile(r"\b(?:wenn|falls|angenommen|sobald|bis\s+dahin)\b", re.IGNORECASE)
# "Was kostet uns das jedes Jahr noch obendrauf?": annual fees, which the sources do not name (a FAQ answer).
RECURRING = re.compile(
    r"j(?:ä|ae)hrlich|jede?s?\s+j(?:a|o)hr|pro\s+j(?:a|o)hr|im\s+j(?:a|o)hr|obe?n?drauf|obbedruff|obadrauf|"
    r"zus(?:ä|ae)tzlich|laufend",
    re.IGNORECASE,
)
# Money every year, not the cooperative's running costs ("Wer trägt die laufenden Kosten?" is the FAQ).
YEARLY = re.compile(
    # "ond was kostet des dann jedes Johr?"
    r"j(?:ä|ae)hrlich|jede?s?\s+j(?:a|o)hr|pro\s+j(?:a|o)hr|jahresbeitr|jahresgeb|obe?n?drauf|obbedruff|obadrauf",
    re.IGNORECASE,
)
# "jährlich oder einmalig?": the question how the shares are paid, not about yearly fees.
ONE_OFF = re.compile(r"\b(?:einmal|eimol|einmol|oamoi|oamol|eenmal)", re.IGNORECASE)
# Words for fees on top ("Mitgliedsbeiträge", "noch was obendrauf", "Kosten dazu") and for the shares.
FEES = re.compile(
    r"beitr(?:a|ä)g|geb(?:ü|ue)hr|kosten|kostet|\bzahl\w*|\bzoin|obe?n?drauf|obbedruff|\bdazu\b|noch\s+was",
    re.IGNORECASE,
)
SHARES = re.compile(r"anteil|einlage", re.IGNORECASE)
# "Sehr geehrtes KommunalCampus-Team,", "Liebes Team von KommunalCampus!": an address at the start, not a word
# about the cooperative (a long need described after it was taken for a cost question).
SALUTATION = re.compile(
    r"^\W*(?:(?:hallo|guten\s+(?:tag|morgen)|moin|servus|hi)\s+)?(?:sehr\s+geehrte[rns]?|liebe[rns]?)?\s*"
    r"(?:kommunal\s*campus(?:[- ]?team)?|team\s+(?:von|der|des|vom)\s+(?:der\s+)?kommunal\s*campus)(?:\s+eg)?"
    r"\s*[,!:.\n]",
    re.IGNORECASE,
)


def without_salutation(text: str) -> str:
    """The message without an address to the cooperative's team at its start."""
    return SALUTATION.sub(" ", text, count=1)


# A question about the cooperative's terms in a need-like sentence ("… Vor- und Nachteile einer Mitgliedschaft
# in der KommunalCampus eG …, welche Pflichten eine Kommune als Mitglied übernimmt und welche Vorteile …").
# Narrower than MEMBERSHIP_WORDS: "Pflichten als Mitglied des Personalrats" names no cooperative.
NAMES_THE_COOPERATIVE = re.compile(r"kommunalcampus|genossenschaft|\beg\b|mitgliedschaft", re.IGNORECASE)
FAQ_TOPIC_WORDS = re.compile(
    r"pflicht|vorteil|nachteil|beitritt|beitreten|generalversammlung|stimmrecht|finanzier|aufnahme",
    re.IGNORECASE,
)
ABOUT_COURSES = re.compile(r"kurs|seminar|schulung|angebot|fortbildung|weiterbildung", re.IGNORECASE)
# A law or regulation named by its name ("Welche Pflichten ergeben sich aus dem AI Act für eine Kommune?",
# "Was ändert das Onlinezugangsgesetz für uns?"): a question about its subject, which courses answer; the
# cooperative's own rules are its statute ("Satzung", a membership word).
NAMES_A_LAW = re.compile(
    r"\b(?:ai[\s-]+act|ki-?vo\b|\w*gesetz\w*|\w*verordnung\w*|\w*richtlinie\w*|dsgvo|ds-gvo|ozg|bdsg|"
    r"tv(?:ö|oe)d|uvgo|vgv|vob|gwb|baugb|sgb\s*[ivx\d]+|egovg|bitv)\b",
    re.IGNORECASE,
)
# Words that give the reason for a wish about offers, not a need ("unser Budget ist begrenzt", "ich kann hier
# nicht weg", "wir haben kaum Personal für Dienstreisen", "mag nicht am Bildschirm sitzen"); word starts.
WISH_REASON_WORD = re.compile(
    r"^(?:budget|fortbildungsbudget|ausbildungsbudget|geld|kost|teuer|euro|genehmig|chef|zahl|bezahl|leider|"
    r"vermutlich|begrenzt|knapp|pro|zeit|weg|reise|dienstreise|fahr|anfahrt|personal|besetzt|kaum|samstag|"
    r"wochenend|bildschirm|homeoffice|rechner|vertretung|jahr|nich|ned|net|au(?:ß|ss)enstell|tag|stund|"
    r"haus|b(?:ü|ue)ro|drau(?:ß|ss)en|austausch|steril)",
    re.IGNORECASE,
)
# A request for offers on what was just said ("Gibt's dazu was?", "Habts ihr do wos?").
ASKS_FOR_OFFERS_ON_IT = re.compile(
    r"\b(?:gibt(?:'?s|\s+es)|habt\s+ihr|habts(?:\s+ihr)?|h(?:ä|ae)ttet\s+ihr|haben\s+sie)\s+"
    r"(?:da|dazu|hierzu|do|dafür|dafuer)\s+(?:auch\s+|vielleicht\s+)?(?:was|etwas|ebbes|wos|angebote?|kurse?)\b",
    re.IGNORECASE,
)
# A request for courses on a subject ("Gibt es Kurse für professionelle Telefonkommunikation?").
# "Sind die Kurse für unsere Leute dann umsonst?", "Und die Kurse selbst, sind die dann kostenlos für uns?":
# whether members pay course fees (the membership FAQ), not a wish for free courses on a subject.
# "Ond d'Kurs selber, send die umsonscht?" (Swabian: "d'Kurs" is plural, "send" is "sind").
_COURSES_AS_A_WHOLE = r"(?:kurse|d['’]kurs|fortbildungen|schulungen|seminare|angebote)"
_ARE = r"(?:sind|send|san|sin|w(?:ä|ae)ren)"
_FREE_OF_CHARGE = (
    r"(?:kostenlos|koschtelos|kostenfrei|umsonst|umsonscht|umasunst|umsunst|gratis|inklusive|inbegriffen)"
)
COURSE_FEES_QUESTION = re.compile(
    rf"\b(?:{_ARE}|kosten)\s+(?:\w+\s+){{0,2}}?{_COURSES_AS_A_WHOLE}\b"
    rf"[^.!?]{{0,40}}?\b{_FREE_OF_CHARGE}\b[^.!]*\?|"
    rf"(?<!welche )(?<!\w){_COURSES_AS_A_WHOLE}\b[^.!?]{{0,20}}?"
    rf"\b{_ARE}\s+(?:\w+\s+){{0,3}}?{_FREE_OF_CHARGE}\b[^.!]*\?",
    re.IGNORECASE,
)
COURSES_ON_A_SUBJECT = re.compile(
    r"\b(?:kurse?n?|schulung(?:en)?|fortbildung(?:en)?|weiterbildung(?:en)?|seminare?n?|workshops?|"
    r"lehrg(?:ä|ae)nge?|angebote?)\s+(?:zu[mr]?|f(?:ü|ue)r|(?:ü|ue)ber|in|im|rund\s+um|bez(?:ü|ue)glich)\s+\w",
    re.IGNORECASE,
)


def asks_for_yearly_money(text: str) -> bool:
    """ "Kommen dann noch jährliche Mitgliedsbeiträge dazu?", "un kommt dann jedes jahr noch was obbedruff?":
    fees every year, which the sources do not settle. Not "Ist das jährlich oder einmalig?" nor "muss man die
    Anteile jedes Jahr zahlen?" (the FAQ on paying the shares answers those), nor the running costs of the
    cooperative ("Wer trägt die laufenden Kosten?")."""
    if ONE_OFF.search(text) or SHARES.search(text):
        return False
    return bool(YEARLY.search(text) and FEES.search(text))
