"""Taking files from the inbox: watching, settling, opening safely, identifying movies."""
