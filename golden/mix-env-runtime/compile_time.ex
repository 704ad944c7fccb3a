defmodule Golden.MixEnvRuntime.CompileTime do
  # Evaluated while the module compiles: the value is frozen into the build.
  @env Mix.env()

  if Mix.env() == :test do
    def sandbox?, do: true
  else
    def sandbox?, do: false
  end

  def env, do: @env

  def debug?, do: @env == :dev
end
