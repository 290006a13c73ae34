"""Renderers of test fixtures and corpus documents into DOCX, PDF and TXT."""
