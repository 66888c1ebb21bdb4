#!/usr/bin/python3
"""SigLIP's tokenizer (legrad tokenize with a SentencePiece model) against Debian's
python3-sentencepiece on a model trained here: the same ids for every prompt, after SigLIP's
"canonicalize" cleaning, with the end-of-sequence id appended and padded with it to the
context length. Skips (exit 77) where python3-sentencepiece is missing."""
import os
import re
import string
import subprocess
import sys
import tempfile

SKIP = 77
CONTEXT = 64
TEXTS = [
    "a photo of a cat",
    "A Photo_of a CAT!!",
    "  several   spaces\tand\na line break ",
    "une photo d'un chat sur le tapis",
    "日本語の写真",
    "a bag 👜 and a dog 🐕",
    "Ünïcödé ÅND ΣΊΣΥΦΟΣ",
    "!!!",
    "",
    " ".join(["the cat on the mat"] * 30),  # longer than the context
]


def canonicalize(text):
    """SigLIP's cleaning as the issue defines it: underscores to spaces, ASCII punctuation
    removed, lower-cased, whitespace runs to one space, stripped."""
    text = text.replace("_", " ")
    text = text.translate(str.maketrans("", "", string.punctuation))
    text = text.lower()
    return re.sub(r"\s+", " ", text).strip()


def expected(processor, text):
    ids = processor.encode(canonicalize(text))[:CONTEXT - 1] + [processor.eos_id()]
    return ids + [processor.eos_id()] * (CONTEXT - len(ids))


def train(folder):
    import sentencepiece
    corpus = os.path.join(folder, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        for i in range(200):
            f.write("a photo of a cat on the mat number %d\n" % i)
            f.write("a bright light over the dog and the red car\n")
            f.write("une photo d'un chat sur le tapis\n")
            f.write("日本語 の 写真 です ΣΊΣΥΦΟΣ\n")
    prefix = os.path.join(folder, "spiece")
    sentencepiece.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, vocab_size=60, pad_id=0, eos_id=1, unk_id=2,
        bos_id=-1, character_coverage=1.0, minloglevel=2)
    return prefix + ".model"


def main():
    try:
        import sentencepiece
    except ImportError as e:
        print("skipped: %s (install python3-sentencepiece)" % e)
        return SKIP
    with tempfile.TemporaryDirectory() as folder:
        model = train(folder)
        processor = sentencepiece.SentencePieceProcessor(model_file=model)
        run = subprocess.run(
            [os.environ.get("LEGRAD_CLI", "legrad"), "tokenize", "--vocab", model,
             "--context-length", str(CONTEXT)] + TEXTS, capture_output=True, text=True)
        if run.returncode != 0 and "sanitizer builds" in run.stderr:
            print("skipped: " + run.stderr.strip())
            return SKIP
        if run.returncode != 0:
            print(run.stderr)
            return 1
        out = run.stdout.splitlines()
        failures = 0
        for text, line in zip(TEXTS, out):
            got = [int(t) for t in line.split()]
            want = expected(processor, text)
            if got != want:
                failures += 1
                print("MISMATCH %r\n  got  %s\n  want %s" % (text[:40], got, want))
        if len(out) != len(TEXTS):
            print("legrad tokenize printed %d lines for %d texts" % (len(out), len(TEXTS)))
            failures += 1
        print("%d of %d texts tokenized as python3-sentencepiece does" %
              (len(TEXTS) - failures, len(TEXTS)))
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
