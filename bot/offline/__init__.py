"""The offline stack: the Motive simulator, a fake Slack Web API, and the console on top."""
