"""Block Kit and text: anchors, replies, modals, the Home tab, safety-event posts, action ids
and Slack time formats. Pure builders: data in, blocks out; nothing here calls Slack."""
