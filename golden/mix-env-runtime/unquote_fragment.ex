defmodule Golden.MixEnvRuntime.UnquoteFragment do
  # An unquote fragment in a function body is evaluated while the module compiles.
  def dev?, do: !!unquote(Mix.env() == :dev)

  def env_name, do: unquote(to_string(Mix.env()))
end
