"""The command grammar: the words a dispatcher types (times, lengths, cameras, targets),
parsed into a recall or snapshot request, with the corrections and examples the help text shows.
Pure functions of text: no Slack, no Motive calls, no database.

Modules, each importing only those above it in this list:
- `words`: the vocabularies as tables (a new word is one line there), and the help's examples;
- `tokens`: text to tokens, the target, camera words, a command rebuilt for a correction;
- `times`: the time words' lexers, and a When resolved to an instant in the user's zone;
- `hints`: a word nothing reads, and the closest word that would ask for the same footage;
- `recall`, `snapshot`: each command's words to its fields;
- `corrections`: a rule violation mapped back to the words, with the corrected command;
- `mentions`: a truck and a time inside a message, for the message shortcut.
"""
