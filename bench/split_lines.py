"""Splits a rating file's lines into train and held-out files (LIBMF's "row col value" with
spaces), holding out COUNT lines drawn with SEED: split_lines.py ALL TRAIN HELD COUNT SEED."""
import random
import sys

source, train_path, held_path, count, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with open(source) as f:
    lines = [line.replace("\t", " ") for line in f]
held = set(random.Random(seed).sample(range(len(lines)), count))
with open(train_path, "w") as train, open(held_path, "w") as test:
    for index, line in enumerate(lines):
        (test if index in held else train).write(line)
