defmodule Golden.NarrowRescue.MultipleClauses do
  def read(config) do
    try do
      config
      |> Keyword.fetch!(:timeout)
      |> String.to_integer()
    rescue
      e in KeyError -> {:missing, e.key}
      e -> {:invalid, Exception.message(e)}
    end
  end
end
