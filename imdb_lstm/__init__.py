"""The machinery behind common.py: reading the data formats, encoding and caching the
reviews, writing files safely, describing the machine. The four scripts never import it
directly; the tools in tools/ and predict.py do."""
