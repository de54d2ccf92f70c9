// An Action the tenant already has, bound to post-login after the Rules.
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/existing', event.secrets.EXISTING_KEY);
};
