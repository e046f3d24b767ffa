"""Customer accounts: the organisation, its users and admins, contacts and product plans."""
