"""The credit bank (学分银行): certificates, credit rules and the ledger."""
