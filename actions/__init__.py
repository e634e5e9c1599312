"""The action server: answers from the knowledge base, safety replies, small talk."""
