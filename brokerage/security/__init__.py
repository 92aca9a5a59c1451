"""Security: TLS and SASL/SCRAM for Kafka, ACLs per service, encryption of state at rest."""
