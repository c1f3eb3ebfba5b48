"""yascheduler: programs internet radios and drives their audio streamers.

Keep this module free of imports: the console entry point must be able to
monkey-patch gevent before anything touches socket, ssl or threading.
"""

__version__ = "0.1.0"
