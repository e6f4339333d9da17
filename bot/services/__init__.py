"""What front ends call: Discord-free services that take the decisions.

A front end turns a request into a `Member` (who asks, where, with which rights), calls a
service, and draws the answer; a service refuses with a `Refusal`. The Discord layer and
the CLI share them: jobs (`JobService`), a server's settings (`ServerAdmin`), moderators'
work (`ModerationService`) and quota and usage reports (`UsageService`).
"""
