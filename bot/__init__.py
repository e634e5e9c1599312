"""What `rasa train` loads through config.yml: the clinic's spaCy pipeline and custom NLU parts."""
