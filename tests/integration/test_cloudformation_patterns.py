"""The shapes of application people deploy with SAM, each deployed on a real ``altus up``,
driven through its trigger, and deleted: a REST API over a table, a topic fanning out to
queues, an EventBridge rule, a DynamoDB stream and a Kinesis stream consumed, a function
URL, a layer, an alias published by ``AutoPublishAlias``, and resources repeated with
``Fn::ForEach``. The templates are written as those applications write them (SAM's own
event types and policy templates, short-form intrinsics)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import Server, start_server
from tests.integration.aws_cli import client
from tests.integration.cloudformation_helpers import outputs, settled, wait_for, zipped

CODE = """\
import base64
import json
import os

import boto3


def table():
    return boto3.resource("dynamodb").Table(os.environ["TABLE"])


def items(event, context):
    if event["httpMethod"] == "POST":
        item = json.loads(event["body"])
        table().put_item(Item=item)
        return {"statusCode": 201, "body": json.dumps(item)}
    found = table().get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
    return {"statusCode": 200 if found else 404, "body": json.dumps(found or {})}


def mark(event, context):
    kind = event.get("detail-type") or event["Records"][0].get("eventSource", "unknown")
    table().put_item(Item={"id": "mark-" + kind.replace(":", "-")})


def stream(event, context):
    for record in event["Records"]:
        if "kinesis" in record:
            text = base64.b64decode(record["kinesis"]["data"]).decode()
            table().put_item(Item={"id": "kinesis-" + text})
        elif record.get("eventName") == "INSERT":
            key = record["dynamodb"]["Keys"]["id"]["S"]
            if not key.startswith("copy-"):
                table().put_item(Item={"id": "copy-" + key})


def url(event, context):
    return {"statusCode": 200, "body": "url " + event["rawPath"]}


def layered(event, context):
    import shared

    return {"from_layer": shared.GREETING, "version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")}
"""

LAYER = "GREETING = 'hello from the layer'\n"

REST_OVER_TABLE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: s3://patterns/code.zip
    Environment:
      Variables:
        TABLE: !Ref Items
Resources:
  Items:
    Type: AWS::Serverless::SimpleTable
  ItemsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.items
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Items
      Events:
        Put:
          Type: Api
          Properties: {Path: /items, Method: post}
        Get:
          Type: Api
          Properties: {Path: "/items/{id}", Method: get}
Outputs:
  Api:
    Value: !Ref ServerlessRestApi
"""

FAN_OUT = """\
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - Protocol: sqs
          Endpoint: !GetAtt First.Arn
  First:
    Type: AWS::SQS::Queue
  Second:
    Type: AWS::SQS::Queue
  SecondSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !GetAtt Second.Arn
      RawMessageDelivery: true
  Policy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref First, !Ref Second]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: sqs:SendMessage
            Resource: [!GetAtt First.Arn, !GetAtt Second.Arn]
            Condition:
              ArnEquals: {aws:SourceArn: !Ref Topic}
Outputs:
  Topic: {Value: !Ref Topic}
  First: {Value: !Ref First}
  Second: {Value: !Ref Second}
"""

EVENTS_AND_STREAMS = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: s3://patterns/code.zip
    Environment:
      Variables:
        TABLE: !Ref Marks
Resources:
  Marks:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Sub "${AWS::StackName}-bus"
  Marker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.mark
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Marks
      Events:
        Orders:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern:
              source: [shop]
              detail-type: [order-placed]
  Records:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: 1
  Streamer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.stream
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Marks
      Events:
        Table:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Marks.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 1
        Kinesis:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Records.Arn
            StartingPosition: TRIM_HORIZON
            BatchSize: 1
Outputs:
  Table: {Value: !Ref Marks}
  Bus: {Value: !Ref Bus}
  Stream: {Value: !Ref Records}
"""

URL_LAYER_ALIAS = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: s3://patterns/layer.zip
      CompatibleRuntimes: [python3.11]
  UrlFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: s3://patterns/code.zip
      Handler: app.url
      FunctionUrlConfig:
        AuthType: NONE
  Layered:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: s3://patterns/code.zip
      Handler: app.layered
      Layers: [!Ref Shared]
      AutoPublishAlias: live
Outputs:
  Url: {Value: !GetAtt UrlFunctionUrl.FunctionUrl}
  Layered: {Value: !Ref Layered}
"""

FOR_EACH = """\
Transform: AWS::LanguageExtensions
Parameters:
  Names:
    Type: CommaDelimitedList
    Default: alpha,beta,gamma
Resources:
  Fn::ForEach::Queues:
    - Name
    - !Ref Names
    - Queue${Name}:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub "${AWS::StackName}-${Name}"
Outputs:
  Count:
    Value: !Select [0, !Split [",", !Join [",", !Ref Names]]]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    made = start_server(tmp_path_factory.mktemp("patterns"))
    s3 = client(made.url, "s3")
    s3.create_bucket(Bucket="patterns")
    s3.put_object(Bucket="patterns", Key="code.zip", Body=zipped({"app.py": CODE}))
    s3.put_object(Bucket="patterns", Key="layer.zip", Body=zipped({"python/shared.py": LAYER}))
    yield made
    made.stop()


def deployed(server: Server, name: str, body: str) -> dict[str, str]:
    cf = client(server.url, "cloudformation")
    cf.create_stack(
        StackName=name,
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = settled(cf, name)
    reasons = [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason"))
        for e in cf.describe_stack_events(StackName=name)["StackEvents"]
        if "FAILED" in e["ResourceStatus"]
    ]
    assert stack["StackStatus"] == "CREATE_COMPLETE", reasons
    return outputs(stack)


def deleted(server: Server, name: str) -> None:
    cf = client(server.url, "cloudformation")
    stack_id = cf.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    cf.delete_stack(StackName=name)
    assert settled(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"


def http(url: str, body: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_rest_api_over_a_table(server: Server) -> None:
    got = deployed(server, "rest-table", REST_OVER_TABLE)
    base = f"{server.url}/_aws/execute-api/{got['Api']}/Prod"
    status, body = http(base + "/items", json.dumps({"id": "a1", "name": "apple"}).encode())
    assert status == 201, body
    status, body = http(base + "/items/a1")
    assert (status, json.loads(body)) == (200, {"id": "a1", "name": "apple"})
    assert http(base + "/items/none")[0] == 404
    deleted(server, "rest-table")


def test_a_topic_fanning_out_to_queues(server: Server) -> None:
    got = deployed(server, "fan-out", FAN_OUT)
    client(server.url, "sns").publish(TopicArn=got["Topic"], Message="to both")
    sqs = client(server.url, "sqs")

    def received(url: str) -> str | None:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        return messages[0]["Body"] if messages else None

    assert json.loads(wait_for(lambda: received(got["First"]), what="first"))["Message"] == (
        "to both"
    )
    assert wait_for(lambda: received(got["Second"]), what="second") == "to both"
    deleted(server, "fan-out")


def test_events_and_streams_reach_their_functions(server: Server) -> None:
    got = deployed(server, "events-streams", EVENTS_AND_STREAMS)
    ddb = client(server.url, "dynamodb")

    def marked(mark: str) -> bool | None:
        found = ddb.get_item(TableName=got["Table"], Key={"id": {"S": mark}}).get("Item")
        return True if found else None

    client(server.url, "events").put_events(
        Entries=[
            {
                "Source": "shop",
                "DetailType": "order-placed",
                "Detail": "{}",
                "EventBusName": got["Bus"],
            }
        ]
    )
    wait_for(lambda: marked("mark-order-placed"), what="the rule's function")
    # The table's stream: the mark's INSERT makes a copy.
    wait_for(lambda: marked("copy-mark-order-placed"), what="the stream's function")
    client(server.url, "kinesis").put_record(StreamName=got["Stream"], Data=b"k1", PartitionKey="p")
    wait_for(lambda: marked("kinesis-k1"), what="the Kinesis consumer")
    deleted(server, "events-streams")


def test_function_url_layer_and_published_alias(server: Server) -> None:
    got = deployed(server, "url-layer-alias", URL_LAYER_ALIAS)
    status, body = http(got["Url"].rstrip("/") + "/hi")
    assert (status, body) == (200, b"url /hi")
    answer = client(server.url, "lambda").invoke(FunctionName=got["Layered"], Qualifier="live")
    result = json.loads(answer["Payload"].read())
    assert result == {"from_layer": "hello from the layer", "version": "1"}
    deleted(server, "url-layer-alias")


def test_resources_repeated_with_for_each(server: Server) -> None:
    deployed(server, "repeated", FOR_EACH)
    urls = client(server.url, "sqs").list_queues(QueueNamePrefix="repeated-").get("QueueUrls", [])
    assert sorted(u.rsplit("/", 1)[1] for u in urls) == [
        "repeated-alpha",
        "repeated-beta",
        "repeated-gamma",
    ]
    deleted(server, "repeated")
