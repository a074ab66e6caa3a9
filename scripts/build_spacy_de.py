"""Build the blank German spaCy pipeline (tokenizer + lookup lemmatizer) that config.yml's SpacyNLP loads.

No trained German spaCy model can be installed from PyPI offline; spacy-lookups-data ships the German
lemma lookup table, which is all the NLU pipeline needs from spaCy.
"""

import sys
from pathlib import Path

import spacy


def build(out_dir: Path) -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = "de_kc"
    nlp.meta["description"] = "Blank German pipeline with lookup lemmatizer (spacy-lookups-data)"
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    nlp.to_disk(tmp)
    if out_dir.exists():
        import shutil

        shutil.rmtree(out_dir)
    tmp.rename(out_dir)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "var/spacy/de_kc")
    target.parent.mkdir(parents=True, exist_ok=True)
    build(target)
    print(f"spaCy pipeline written to {target}")
