"""Stand-ins for outside services: real HTTP servers on loopback and scripted engines."""
