"""Recovery from lost slot races, and the seat claims that spread callers over free seats."""
