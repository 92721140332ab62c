"""Arrays in, arrays out: input checks, generators of data with known MI, and file loaders."""
