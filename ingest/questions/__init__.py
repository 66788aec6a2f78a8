"""Question-bank file formats: Excel/CSV templates, Moodle GIFT and XML, Aiken."""
