"""Answering: understand the question, retrieve, compose an extractive answer with citations,
or decline. `answer(engine, question)` is the one entry point."""
