"""Use cases that read and write the database. A service receives a session and never commits."""
