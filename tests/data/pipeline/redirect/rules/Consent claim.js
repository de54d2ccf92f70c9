function (user, context, callback) {
  context.idToken['https://example.com/consented'] = !!(user.user_metadata && user.user_metadata.consented);
  callback(null, user, context);
}
