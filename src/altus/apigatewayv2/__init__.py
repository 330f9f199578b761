"""API Gateway's v2 control plane (HTTP and WebSocket APIs): botocore's ``apigatewayv2``
service, and the deployed stages it hands the front door (``altus.gateway.deployed``)."""
