defmodule Golden.MixEnvRuntime.Macro do
  # A macro body runs while its caller compiles; what a quote injects is the caller's business.
  defmacro compile_env do
    env = Mix.env()
    quote do: unquote(env)
  end

  defmacro __using__(_opts) do
    quote do
      def build_env, do: Mix.env()
    end
  end
end
