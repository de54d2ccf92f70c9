function (user, context, callback) {
  context.idToken['https://example.com/admin'] = global.isAdmin(user);
  callback(null, user, context);
}
