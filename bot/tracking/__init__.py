"""Following requests at Motive until they finish, and delivering the result exactly once."""
