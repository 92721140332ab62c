"""Networks: embeddings of one side's samples, critics that score (x, y) pairs, and stacks of models."""
