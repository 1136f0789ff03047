"""The end-to-end benchmark: Baton's pipeline against a bare aiokafka relay, in one run."""
