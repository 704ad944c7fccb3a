defmodule Golden.MixEnvRuntime.MixProject.MixProject do
  use Mix.Project

  def project do
    [app: :golden, version: "0.1.0", start_permanent: Mix.env() == :prod, deps: deps(Mix.env())]
  end

  defp deps(:test), do: []
  defp deps(_env), do: []
end
