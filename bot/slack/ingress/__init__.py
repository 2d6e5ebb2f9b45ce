"""Before a listener runs: bodies bounded before they are read, the payload guard, one
workspace only, replays refused, the ack sent before the work (post_ack), and Socket Mode."""
