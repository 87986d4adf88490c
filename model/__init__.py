"""The shipped trained model and tokenizer; installed as composeium_desktop._model."""
