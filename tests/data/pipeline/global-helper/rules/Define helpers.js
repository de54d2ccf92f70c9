function (user, context, callback) {
  // Helpers for the rules after this one (Rules share `global`).
  global.isAdmin = function (u) {
    var roles = (u.app_metadata && u.app_metadata.roles) || [];
    return roles.indexOf('admin') >= 0;
  };
  callback(null, user, context);
}
