"""Code that runs inside the Rasa process (custom NLU components); imported by Rasa, not by the api."""
