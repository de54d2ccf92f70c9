function (user, context, callback) {
  user.user_metadata = user.user_metadata || {};
  if (context.protocol === 'redirect-callback') {
    user.user_metadata.consented = true;
    auth0.users.updateUserMetadata(user.user_id, user.user_metadata)
      .then(function () { callback(null, user, context); })
      .catch(function (err) { callback(err); });
    return;
  }
  if (!user.user_metadata.consented) {
    context.redirect = { url: 'https://consent.example.com/' };
  }
  callback(null, user, context);
}
