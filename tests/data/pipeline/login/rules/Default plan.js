function (user, context, callback) {
  context.idToken['https://example.com/plan'] = 'free';
  callback(null, user, context);
}
