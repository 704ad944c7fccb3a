defmodule Golden.MixEnvRuntime.Script.Seeds do
  # Run with `mix run priv/repo/seeds.exs`: Mix is there.
  def run, do: if(Mix.env() == :dev, do: :seed, else: :skip)
end
