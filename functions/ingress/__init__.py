"""The front door: HTTP endpoints (GitHub webhooks, Slack commands and interactions), alarm
normalization and the event routes. These modules import only the standard library at load time
(plus slack_sdk's signature module where Slack is verified): boto3, Powertools utilities and the
configuration load on first use, so a cold start answers Slack inside its 3-second limit."""
