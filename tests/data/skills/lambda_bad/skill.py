def lambda_handler(event, context):
    return "not a dict"
