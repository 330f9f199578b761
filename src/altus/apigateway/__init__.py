"""API Gateway's REST APIs (botocore ``apigateway``): the control plane, and the
directory the front door (``altus.executeapi``) reads deployed stages from."""
