"""TextBlob 0.20.1 PatternAnalyzer lexicon -> textblob_en_sentiment.tsv, plus reference scores.

The TSV is the lexicon *as TextBlob holds it after loading* (en-sentiment.xml averaged per
word and POS, the per-word all-POS average, and the derived "-ly" adverbs), so a port
needs no XML parsing and no averaging of its own.
"""

from textblob import TextBlob
from textblob.en import sentiment as pattern_sentiment

from common import MODELS_DIR, write_text

HEADER = "word\tpos\tpolarity\tsubjectivity\tintensity\n"


def _pos(p):
    # None is the all-POS average: the only entry used when scoring plain text.
    # "" comes from 6 XML entries whose pos attribute is empty.
    return "*" if p is None else ("?" if p == "" else p)


def export(texts: list) -> list:
    lex = pattern_sentiment
    lex.load() if dict.__len__(lex) == 0 else None
    rows = []
    for word, by_pos in dict.items(lex):
        assert "\t" not in word and "\n" not in word
        for pos, (p, s, i) in by_pos.items():
            rows.append((word, _pos(pos), repr(float(p)), repr(float(s)), repr(float(i))))
    rows.sort()
    write_text(MODELS_DIR / "textblob_en_sentiment.tsv",
               HEADER + "".join("\t".join(r) + "\n" for r in rows))
    print(f"textblob: {len(rows)} lexicon rows, {dict.__len__(lex)} words")

    recs = []
    for t in texts:
        s = TextBlob(t["text"]).sentiment_assessments
        recs.append({"id": t["id"], "polarity": float(s.polarity),
                     "subjectivity": float(s.subjectivity),
                     # [words, polarity, subjectivity, label] per assessed chunk: for debugging a port
                     "assessments": [[list(w), float(p), float(sj), x] for w, p, sj, x in s.assessments]})
    return recs
