"""Who may ask for what, where and how much: the rules every front end obeys, and each
server's settings (`ServerSettings`) they read.

Discord-free. The engine consults the rulebook before it queues anything, and the fair
queue asks it how many jobs may run at once, per server and per member.
"""
