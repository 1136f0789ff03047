"""Sentiment service: customer turns in, score, label and frustration cues out."""
