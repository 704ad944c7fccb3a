defmodule Golden.NarrowRescue.Project.Loader do
  alias Golden.NarrowRescue.Project.Parser

  def load(config) do
    config |> Parser.fetch() |> Parser.parse!()
  rescue
    e -> {:error, e}
  end

  def other(text) do
    Parser.external(text)
  rescue
    _ -> nil
  end
end
