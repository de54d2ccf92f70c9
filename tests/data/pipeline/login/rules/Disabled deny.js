function (user, context, callback) {
  callback(new UnauthorizedError('This rule is disabled and must never run.'));
}
