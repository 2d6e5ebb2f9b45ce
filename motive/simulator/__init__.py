"""A local stand-in for api.gomotive.com that behaves like the contract in Part A."""

from motive.simulator.app import build_app, send_due_webhooks, send_event_webhooks
from motive.simulator.state import Fault, SimConfig, SimError, Simulator

__all__ = [
    "Fault",
    "SimConfig",
    "SimError",
    "Simulator",
    "build_app",
    "send_due_webhooks",
    "send_event_webhooks",
]
