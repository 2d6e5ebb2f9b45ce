"""The command grammar: the words a dispatcher types (times, lengths, cameras, targets),
parsed into a recall or snapshot request, with the corrections and examples the help text shows.
Pure functions of text: no Slack, no Motive calls, no database."""
