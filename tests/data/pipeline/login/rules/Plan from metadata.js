function (user, context, callback) {
  var plan = user.app_metadata && user.app_metadata.plan;
  if (plan) {
    context.idToken['https://example.com/plan'] = plan;
  }
  callback(null, user, context);
}
